{#- Engine-specific SQL, written once (issue 17): each macro has a DuckDB (default__) and a
    Spark (spark__) form; models call the macro, never the engine's function. The default form
    is the SQL the DuckDB build always ran (its marts must not change by a byte). sqlfluff's
    jinja templater has no `adapter`: there every macro lints its default SQL. -#}

{#- list LIST contains VALUE (null for a null list). -#}
{% macro list_has(list, value) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('list_has', 'floop')(list, value)) }}
    {%- else -%}
        {{ return(default__list_has(list, value)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__list_has(list, value) -%}
    list_contains({{ list }}, {{ value }})
{%- endmacro %}

{% macro spark__list_has(list, value) -%}
    array_contains({{ list }}, {{ value }})
{%- endmacro %}


{#- Number of elements of LIST (null for a null list). -#}
{% macro list_length(list) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('list_length', 'floop')(list)) }}
    {%- else -%}
        {{ return(default__list_length(list)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__list_length(list) -%}
    len({{ list }})
{%- endmacro %}

{#- array_size, not size: size(null) is -1 unless spark.sql.legacy.sizeOfNull is off -#}
{% macro spark__list_length(list) -%}
    array_size({{ list }})
{%- endmacro %}


{#- Element POSITION (1-based) of LIST. -#}
{% macro list_element(list, position) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('list_element', 'floop')(list, position)) }}
    {%- else -%}
        {{ return(default__list_element(list, position)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__list_element(list, position) -%}
    {{ list }}[{{ position }}]
{%- endmacro %}

{% macro spark__list_element(list, position) -%}
    element_at({{ list }}, {{ position }})
{%- endmacro %}


{#- 1-based position of the first VALUE in LIST (null when VALUE is null; VALUE should be in LIST:
    not found is null on DuckDB, 0 on Spark). -#}
{% macro list_index(list, value) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('list_index', 'floop')(list, value)) }}
    {%- else -%}
        {{ return(default__list_index(list, value)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__list_index(list, value) -%}
    list_position({{ list }}, {{ value }})
{%- endmacro %}

{% macro spark__list_index(list, value) -%}
    array_position({{ list }}, {{ value }})
{%- endmacro %}


{#- An empty list of strings. -#}
{% macro empty_string_list() -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('empty_string_list', 'floop')()) }}
    {%- else -%}
        {{ return(default__empty_string_list()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__empty_string_list() -%}
    []
{%- endmacro %}

{% macro spark__empty_string_list() -%}
    cast(array() as array<string>)
{%- endmacro %}


{#- Hex SHA-256 of a string (lower case on both engines). -#}
{% macro sha256_hex(expr) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('sha256_hex', 'floop')(expr)) }}
    {%- else -%}
        {{ return(default__sha256_hex(expr)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__sha256_hex(expr) -%}
    sha256({{ expr }})
{%- endmacro %}

{% macro spark__sha256_hex(expr) -%}
    sha2({{ expr }}, 256)
{%- endmacro %}


{#- Seconds from timestamp START to timestamp END, as a double. -#}
{% macro seconds_between(start, end) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('seconds_between', 'floop')(start, end)) }}
    {%- else -%}
        {{ return(default__seconds_between(start, end)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__seconds_between(start, end) -%}
    epoch({{ end }} - {{ start }})
{%- endmacro %}

{% macro spark__seconds_between(start, end) -%}
    ((unix_micros({{ end }}) - unix_micros({{ start }})) / 1e6)
{%- endmacro %}


{#- The continuous (linearly interpolated) quantile Q of EXPR in a group. -#}
{% macro quantile_cont(expr, q) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('quantile_cont', 'floop')(expr, q)) }}
    {%- else -%}
        {{ return(default__quantile_cont(expr, q)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__quantile_cont(expr, q) -%}
    quantile_cont({{ expr }}, {{ q }})
{%- endmacro %}

{% macro spark__quantile_cont(expr, q) -%}
    percentile({{ expr }}, {{ q }})
{%- endmacro %}


{#- EXPR of the row with the largest (smallest) ORDER_BY in a group; ORDER_BY a list of
    expressions compared in turn (a tuple on DuckDB, a struct on Spark). -#}
{% macro value_at_max(expr, order_by) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('value_at_max', 'floop')(expr, order_by)) }}
    {%- else -%}
        {{ return(default__value_at_max(expr, order_by)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__value_at_max(expr, order_by) -%}
    arg_max({{ expr }}, ({{ order_by | join(', ') }}))
{%- endmacro %}

{% macro spark__value_at_max(expr, order_by) -%}
    max_by({{ expr }}, struct({{ order_by | join(', ') }}))
{%- endmacro %}

{% macro value_at_min(expr, order_by) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('value_at_min', 'floop')(expr, order_by)) }}
    {%- else -%}
        {{ return(default__value_at_min(expr, order_by)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__value_at_min(expr, order_by) -%}
    arg_min({{ expr }}, ({{ order_by | join(', ') }}))
{%- endmacro %}

{% macro spark__value_at_min(expr, order_by) -%}
    min_by({{ expr }}, struct({{ order_by | join(', ') }}))
{%- endmacro %}


{#- EXPR of a group's rows joined by SEPARATOR (a SQL string literal) in ORDER_BY order;
    DISTINCT: each value once (then ORDER_BY must be EXPR). -#}
{% macro string_agg_ordered(expr, separator, order_by, distinct=false) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('string_agg_ordered', 'floop')(expr, separator, order_by, distinct)) }}
    {%- else -%}
        {{ return(default__string_agg_ordered(expr, separator, order_by, distinct)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__string_agg_ordered(expr, separator, order_by, distinct=false) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expr }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__string_agg_ordered(expr, separator, order_by, distinct=false) -%}
    {%- if distinct -%}
        array_join(array_sort(collect_set({{ expr }})), {{ separator }})
    {%- else -%}
        listagg({{ expr }}, {{ separator }}) within group (order by {{ order_by }})
    {%- endif -%}
{%- endmacro %}


{#- A JSON object {key: value, ...} of a group's rows, keys in ascending order. -#}
{% macro json_object_agg(key, value) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('json_object_agg', 'floop')(key, value)) }}
    {%- else -%}
        {{ return(default__json_object_agg(key, value)) }}
    {%- endif -%}
{%- endmacro %}

{#- json_group_object's own definition with the keys ordered: json_group_object keeps the
    rows' order, which differs between runs and engines (json_group_object is a macro, so it
    takes no `order by`) -#}
{% macro default__json_object_agg(key, value) -%}
    cast('{' || string_agg(
        to_json(cast({{ key }} as varchar)) || ':'
        || coalesce(to_json({{ value }}), cast('null' as json)),
        ',' order by {{ key }}
    ) || '}' as json)
{%- endmacro %}

{% macro spark__json_object_agg(key, value) -%}
    to_json(map_from_entries(array_sort(collect_list(struct({{ key }}, {{ value }})))))
{%- endmacro %}


{#- `*` without COLUMNS (a list of names). -#}
{% macro star_except(columns) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('star_except', 'floop')(columns)) }}
    {%- else -%}
        {{ return(default__star_except(columns)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__star_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}


{#- A one-column relation `date_day` of the days from START to END (exclusive), date
    literals. -#}
{% macro date_range(start, end) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('date_range', 'floop')(start, end)) }}
    {%- else -%}
        {{ return(default__date_range(start, end)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__date_range(start, end) -%}
    (select cast(range as date) as date_day from range({{ start }}, {{ end }}, interval 1 day))
{%- endmacro %}

{% macro spark__date_range(start, end) -%}
    (select explode(sequence({{ start }}, date_sub({{ end }}, 1), interval 1 day)) as date_day)
{%- endmacro %}


{#- The elements of a list column, one row each (a select-list item named ALIAS). -#}
{% macro list_unnest(list, alias) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('list_unnest', 'floop')(list, alias)) }}
    {%- else -%}
        {{ return(default__list_unnest(list, alias)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__list_unnest(list, alias) -%}
    unnest({{ list }}) as {{ alias }}
{%- endmacro %}

{% macro spark__list_unnest(list, alias) -%}
    explode({{ list }}) as {{ alias }}
{%- endmacro %}


{#- The positions 1..length of a list column, one row each (a select-list item). -#}
{% macro list_positions(list, alias) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('list_positions', 'floop')(list, alias)) }}
    {%- else -%}
        {{ return(default__list_positions(list, alias)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__list_positions(list, alias) -%}
    unnest(range(1, len({{ list }}) + 1)) as {{ alias }}
{%- endmacro %}

{% macro spark__list_positions(list, alias) -%}
    explode(sequence(1, array_size({{ list }}))) as {{ alias }}
{%- endmacro %}


{#- The materialization of the incremental models without a date column
    (config(materialized=floop_incremental())): incremental (delete+insert on the model's key)
    on DuckDB; on Spark a table rebuilt in full on every run. Spark's Parquet tables replace
    data by partition only (insert_overwrite), and these models have no date to partition by:
    their rows are per output_id / task_id / session over all time. The models with a date
    column are partitioned on Spark instead (macros/spark_incremental.sql; docs/scale-out.md). -#}
{% macro floop_incremental() -%}
    {{- return('table' if target is defined and target.type == 'spark' else 'incremental') -}}
{%- endmacro %}


{#- The string type for casts: varchar on DuckDB, string on Spark (whose varchar needs a
    length). -#}
{% macro string_type() -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('string_type', 'floop')()) }}
    {%- else -%}
        {{ return(default__string_type()) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__string_type() -%}
    varchar
{%- endmacro %}

{% macro spark__string_type() -%}
    string
{%- endmacro %}


{#- A column name that is a keyword (`timestamp`): "timestamp" on DuckDB, `timestamp` on
    Spark (a double-quoted name is a string there). -#}
{% macro quote_column(name) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.quote(name)) }}
    {%- else -%}
        {{ return('"' ~ name ~ '"') }}
    {%- endif -%}
{%- endmacro %}
