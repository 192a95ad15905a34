{#- Personal data in analyst-facing models. Written once here, applied in staging.

    hash_pii(col): a keyed hash of an identifier (user_id, actor_id).
      sha256(key || '|' || value). Keyed, because user ids are guessable (u42, emails, employee
      numbers): an unkeyed sha256 could be reversed by hashing candidate ids, and would be the
      same value in every system that hashes the same id. With a secret key (env var
      FLOOP_HASH_KEY, set by floop from the warehouse's key file, see floop/hash_key.py) the
      hash is a stable pseudonym inside this warehouse only. Without it the build stops; with
      the public demo key (scripts/demo.sh) dbt warns once per run.

    redact_pii(col): free text with personal data replaced by [EMAIL], [IPV6], [IPV4], [IBAN]
      (mod-97 valid), [CARD] (Luhn-valid 13-19 digits, spaces/dashes allowed) and [PHONE]. DuckDB regexes are RE2 (no
      look-around), so the left edge of a match is a captured non-word character put back with
      \1. Order matters: emails first (they may contain digits), IPs, IBANs and cards before
      phone numbers.
-#}

{% macro floop_hash_key() -%}
    {%- set key = env_var('FLOOP_HASH_KEY', '') -%}
    {%- if key == '' and execute -%}
        {#- no silent fallback to a public key: floop (floop.dbt.run_dbt, the floop-dbt
            launcher) always sets it, from FLOOP_HASH_KEY or the warehouse's key file -#}
        {%- do exceptions.raise_compiler_error(
            "FLOOP_HASH_KEY is not set: run dbt through floop (floop run), which reads the "
            ~ "warehouse's key file, or set FLOOP_HASH_KEY"
        ) -%}
    {%- endif -%}
    {%- if key == 'floop-demo-hash-key-not-secret' and execute and floop_is_first_hashing_node()
        and not model.get('_floop_key_warned') -%}
        {#- `model` is this node's dict: the mark keeps a model that hashes twice to one warning -#}
        {%- do model.update({'_floop_key_warned': true}) -%}
        {%- do exceptions.warn(
            "FLOOP_HASH_KEY is the public demo key: user_key/actor_key can be reversed by "
            ~ "hashing guessed ids. Demo data only."
        ) -%}
    {%- endif -%}
    {{- return(key) -}}
{%- endmacro %}


{#- True for exactly one node of this run that hashes (so the warning appears once). -#}
{% macro floop_is_first_hashing_node() -%}
    {%- set hashing = [] -%}
    {%- for uid in selected_resources | sort -%}
        {%- if uid in ['model.floop.stg_feedback', 'model.floop.stg_interactions'] -%}
            {%- do hashing.append(uid) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if hashing | length == 0 -%}
        {{- return(true) -}}
    {%- endif -%}
    {{- return(model is defined and model.unique_id == hashing[0]) -}}
{%- endmacro %}


{% macro hash_pii(column) -%}
    case
        when {{ column }} is null then null
        else {{ sha256_hex("'" ~ floop_hash_key() | replace("'", "''") ~ "' || '|' || " ~ column) }}
    end
{%- endmacro %}


{#- Card-number candidates: 13-19 digits, contiguous or in groups of 4 (last group 1-4, or
    1-3 after four groups) or 4-6-4/5, separated by one space or dash, starting with 2-6 (the
    payment networks' first digits: Mastercard 2/5, Amex/Diners/JCB 3, Visa 4, Discover 6).
    The first digit keeps epoch milliseconds (1732700000000), ISBNs/EANs (978...) and most
    order numbers out, even when their digits happen to pass Luhn. -#}
{% macro _pii_card_pattern() -%}
\b([2-6]\d{3}[ -]\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{1,3}|[2-6]\d{3}[ -]\d{4}[ -]\d{4}[ -]\d{1,4}|[2-6]\d{3}[ -]\d{6}[ -]\d{4,5}|[2-6]\d{12,18})\b
{%- endmacro %}


{#- Luhn check of a candidate (a SQL expression over lambda parameter `c`): double every
    second digit from the right, subtract 9 above 9, the sum is a multiple of 10. -#}
{% macro _pii_luhn(c) -%}
list_sum(list_transform(
    string_split(reverse(regexp_replace({{ c }}, '[^0-9]', '', 'g')), ''),
    lambda pii_d, pii_i: case
        when pii_i % 2 = 0 then (2 * cast(pii_d as integer)) - (case when cast(pii_d as integer) > 4 then 9 else 0 end)
        else cast(pii_d as integer)
    end
)) % 10 = 0
{%- endmacro %}


{#- TEXT with every match of PATTERN for which CHECK (an expression over lambda parameter
    C) holds replaced by TOKEN. -#}
{% macro _pii_replace_checked(text, pattern, check, c, token) -%}
list_reduce(
    list_concat(
        [{{ text }}],
        list_filter(regexp_extract_all({{ text }}, '{{ pattern }}', 0), lambda {{ c }}: {{ check }})
    ),
    lambda pii_acc, {{ c }}: replace(pii_acc, {{ c }}, '{{ token }}')
)
{%- endmacro %}


{#- IBAN candidates: country, 2 check digits, then 11-30 letters/digits, in groups of 4 with
    single spaces or contiguous. -#}
{% macro _pii_iban_pattern() -%}
\b[A-Z]{2}[0-9]{2}( ?[A-Z0-9]{4}){2,7}( ?[A-Z0-9]{1,4})?\b
{%- endmacro %}


{#- IBAN check (ISO 13616): first four characters moved to the end, letters as 10..35, the
    number mod 97 is 1 (computed digit by digit, the number is too long for any integer). -#}
{% macro _pii_iban_valid(c) -%}
list_reduce(
    list_concat(
        [0],
        list_transform(
            string_split(
                substr(replace({{ c }}, ' ', ''), 5) || substr(replace({{ c }}, ' ', ''), 1, 4), ''
            ),
            lambda pii_ch: case
                when pii_ch between '0' and '9' then cast(pii_ch as integer)
                else ascii(pii_ch) - 55
            end
        )
    ),
    lambda pii_m, pii_v: (pii_m * (case when pii_v >= 10 then 100 else 10 end) + pii_v) % 97
) = 1
{%- endmacro %}


{% macro redact_pii(column) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('redact_pii', 'floop')(column)) }}
    {%- else -%}
        {{ return(default__redact_pii(column)) }}
    {%- endif -%}
{%- endmacro %}


{#- The regexes of redact_pii (RE2 on DuckDB, java.util.regex on Spark: these patterns mean
    the same in both), as a dict: email, ipv6, ipv4, phone. -#}
{% macro _pii_patterns() -%}
{%- set hex = '[0-9A-Fa-f]{1,4}' -%}
{%- set octet = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])' -%}
{%- set dotted = '(' ~ octet ~ '\\.){3}' ~ octet -%}
{%- set ipv4 = '\\b' ~ dotted ~ '\\b' -%}
{#- IPv6: with an embedded IPv4 tail (::ffff:192.0.2.1) first, so the tail goes too; then the
    full form, then compressed forms (which need '::', so times like 09:14:03 never match). -#}
{%- set ipv6 = '(' ~ hex ~ '(:' ~ hex ~ '){0,5})?::(' ~ hex ~ ':){0,5}' ~ dotted
    ~ '|(' ~ hex ~ ':){6}' ~ dotted
    ~ '|' ~ hex ~ '(:' ~ hex ~ '){7}'
    ~ '|(' ~ hex ~ ':){1,7}:(' ~ hex ~ '(:' ~ hex ~ '){0,6})?'
    ~ '|::' ~ hex ~ '(:' ~ hex ~ '){0,6}' -%}
{#- Phone numbers: international (+CC or 00CC, then 2-6 digit groups, parentheses allowed),
    national with a trunk 0 and a separator (030/1234567, (030) 1234567, 0170 1234567) and
    North American (415) 555-0134 / 415-555-0134. Dates (2026-10-01), times (09:14:03) and
    plain numbers have none of these shapes. -#}
{%- set phone = '(\\+|\\b00)[1-9][0-9]{0,2}([ .\\-/]?(\\([0-9]{1,4}\\)|[0-9]{1,5})){2,6}\\b'
    ~ '|\\(0[0-9]{1,4}\\)[ ]?[0-9]{3,}([ \\-][0-9]{2,})*\\b'
    ~ '|\\b0[1-9][0-9]{1,4}[ /\\-][0-9]{3,}([ \\-][0-9]{2,})*\\b'
    ~ '|\\([0-9]{3}\\)[ ]?[0-9]{3}[ .\\-][0-9]{4}\\b'
    ~ '|\\b[0-9]{3}[.\\-][0-9]{3}[.\\-][0-9]{4}\\b' -%}
{{- return({
    'email': '[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}.\-]+\.\p{L}{2,}',
    'ipv6': ipv6, 'ipv4': ipv4, 'phone': phone,
}) -}}
{%- endmacro %}


{% macro default__redact_pii(column) -%}
{%- set p = _pii_patterns() -%}
{#- Stages, each a lambda over the previous stage's text (so it is computed once):
    emails and IP addresses by regex; IBANs and cards as candidates kept only when their
    checksum holds (mod 97, Luhn); phone numbers last. -#}
list_transform(
    [regexp_replace(regexp_replace(regexp_replace(
        {{ column }},
        '{{ p.email }}', '[EMAIL]', 'g'),
        '(^|[^0-9A-Za-z_:.])({{ p.ipv6 }})', '\1[IPV6]', 'g'),
        '{{ p.ipv4 }}', '[IPV4]', 'g')],
    lambda pii_t1: list_transform(
        [{{ _pii_replace_checked('pii_t1', _pii_iban_pattern(), _pii_iban_valid('pii_c1'), 'pii_c1', '[IBAN]') }}],
        lambda pii_t2: regexp_replace(
            {{ _pii_replace_checked('pii_t2', _pii_card_pattern(), _pii_luhn('pii_c2'), 'pii_c2', '[CARD]') }},
            '(^|[^0-9A-Za-z_.\-/])({{ p.phone }})', '\1[PHONE]', 'g'
        )
    )[1]
)[1]
{%- endmacro %}


{#- Spark: the same stages with Spark's higher-order functions (transform, filter, aggregate;
    lambda positions are 0-based) and `$1` for the captured group. A backslash in a Spark
    string literal is an escape: the patterns go through _spark_regex (doubled). -#}
{% macro spark__redact_pii(column) -%}
{%- set p = _pii_patterns() -%}
transform(
    array(regexp_replace(regexp_replace(regexp_replace(
        {{ column }},
        '{{ _spark_regex(p.email) }}', '[EMAIL]'),
        '(^|[^0-9A-Za-z_:.])({{ _spark_regex(p.ipv6) }})', '$1[IPV6]'),
        '{{ _spark_regex(p.ipv4) }}', '[IPV4]')),
    pii_t1 -> transform(
        array({{ _spark_pii_replace_checked('pii_t1', _spark_regex(_pii_iban_pattern()), _spark_pii_iban_valid('pii_c1'), 'pii_c1', '[IBAN]') }}),
        pii_t2 -> regexp_replace(
            {{ _spark_pii_replace_checked('pii_t2', _spark_regex(_pii_card_pattern()), _spark_pii_luhn('pii_c2'), 'pii_c2', '[CARD]') }},
            '(^|[^0-9A-Za-z_.\\-/])({{ _spark_regex(p.phone) }})', '$1[PHONE]'
        )
    )[0]
)[0]
{%- endmacro %}


{% macro _spark_pii_replace_checked(text, pattern, check, c, token) -%}
aggregate(
    filter(regexp_extract_all({{ text }}, '{{ pattern }}', 0), {{ c }} -> {{ check }}),
    {{ text }},
    (pii_acc, {{ c }}) -> replace(pii_acc, {{ c }}, '{{ token }}')
)
{%- endmacro %}


{% macro _spark_pii_luhn(c) -%}
aggregate(
    transform(
        reverse(split(regexp_replace({{ c }}, '[^0-9]', ''), '')),
        (pii_d, pii_i) -> case
            when pii_i % 2 = 1 then (2 * cast(pii_d as int)) - (case when cast(pii_d as int) > 4 then 9 else 0 end)
            else cast(pii_d as int)
        end
    ),
    0,
    (pii_s, pii_x) -> pii_s + pii_x
) % 10 = 0
{%- endmacro %}


{% macro _spark_pii_iban_valid(c) -%}
aggregate(
    transform(
        split(substr(replace({{ c }}, ' ', ''), 5) || substr(replace({{ c }}, ' ', ''), 1, 4), ''),
        pii_ch -> case
            when pii_ch between '0' and '9' then cast(pii_ch as int)
            else ascii(pii_ch) - 55
        end
    ),
    0,
    (pii_m, pii_v) -> (pii_m * (case when pii_v >= 10 then 100 else 10 end) + pii_v) % 97
) = 1
{%- endmacro %}


{% macro _spark_regex(pattern) -%}
    {{- pattern | trim | replace('\\', '\\\\') -}}
{%- endmacro %}
