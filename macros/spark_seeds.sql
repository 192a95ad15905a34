{#- Seeds on Spark: dbt-spark's seed table with the seeds' column_types (DuckDB spellings:
    varchar, varchar[], timestamp) mapped to Spark's by floop_spark_type. Otherwise as
    dbt-spark's spark__create_csv_table. -#}
{% macro spark__create_csv_table(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}
  {%- set columns = [] -%}
  {%- for col_name in agate_table.column_names -%}
      {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
      {%- set type = floop_spark_type(column_override.get(col_name, inferred_type)) | trim -%}
      {%- set name = adapter.quote_seed_column(col_name | string, quote_seed_column) -%}
      {%- do columns.append(name ~ ' ' ~ type) -%}
  {%- endfor -%}
  {% set sql %}
    create table {{ this.render() }} ({{ columns | join(', ') }})
    {{ file_format_clause() }}
    {{ location_clause() }}
    {{ comment_clause() }}
  {% endset %}
  {% call statement('_') -%}
    {{ sql }}
  {%- endcall %}
  {{ return(sql) }}
{% endmacro %}


{#- As dbt-spark's spark__load_csv_rows, with the column types mapped as above and the values
    written as SQL literals: dbt-spark's session cursor binds a value as '<value>' without
    escaping (a quote in a seed breaks the statement) and a missing value as 'None'. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set types = [] -%}
  {%- for col_name in agate_table.column_names -%}
      {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
      {%- do types.append(floop_spark_type(column_override.get(col_name, inferred_type)) | trim) -%}
  {%- endfor -%}
  {%- set statements = [] -%}
  {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
      {%- set rows = [] -%}
      {%- for row in chunk -%}
          {%- set values = [] -%}
          {%- for value in row -%}
              {%- if value is none -%}
                  {%- set literal = 'null' -%}
              {%- elif value is sameas true or value is sameas false -%}
                  {%- set literal = "'true'" if value else "'false'" -%}
              {%- else -%}
                  {%- set text = value | string | replace('\\', '\\\\') | replace("'", "\\'") -%}
                  {%- set literal = "'" ~ text ~ "'" -%}
              {%- endif -%}
              {%- do values.append('cast(' ~ literal ~ ' as ' ~ types[loop.index0] ~ ')') -%}
          {%- endfor -%}
          {%- do rows.append('(' ~ values | join(', ') ~ ')') -%}
      {%- endfor -%}
      {%- set sql = 'insert into ' ~ this.render() ~ ' values\n' ~ rows | join(',\n') -%}
      {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
      {%- if loop.index0 == 0 -%}
          {%- do statements.append(sql) -%}
      {%- endif -%}
  {%- endfor -%}
  {{ return(statements[0]) }}
{% endmacro %}
