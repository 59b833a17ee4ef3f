{#- The few places where DuckDB and PostgreSQL spell the same thing differently. Everything else in the
    models is SQL both read alike; dbt's own cross-database macros (dbt.datediff, …) cover the rest. -#}

{#- The value on the row with the greatest `ordering` in the group, even when that value is null (a stock
    takes its latest value; a null latest value must not fall back to an earlier one). -#}
{% macro latest_of(value, ordering) -%}
    {{ return(adapter.dispatch('latest_of')(value, ordering)) }}
{%- endmacro %}
{% macro default__latest_of(value, ordering) -%}
    (array_agg({{ value }} order by {{ ordering }} desc))[1]
{%- endmacro %}
{% macro duckdb__latest_of(value, ordering) -%}
    arg_max_null({{ value }}, {{ ordering }})
{%- endmacro %}

{#- The first capture group of `pattern` in `text`; null when it does not match. -#}
{% macro regexp_group(text, pattern) -%}
    {{ return(adapter.dispatch('regexp_group')(text, pattern)) }}
{%- endmacro %}
{% macro default__regexp_group(text, pattern) -%}
    (regexp_match({{ text }}, {{ pattern }}))[1]
{%- endmacro %}
{% macro duckdb__regexp_group(text, pattern) -%}
    nullif(regexp_extract({{ text }}, {{ pattern }}, 1), '')
{%- endmacro %}

{#- A float8 rounded half away from zero to `digits` decimals, as float8. PostgreSQL rounds only numeric. -#}
{% macro round_to(expression, digits) -%}
    {{ return(adapter.dispatch('round_to')(expression, digits)) }}
{%- endmacro %}
{% macro default__round_to(expression, digits) -%}
    round(({{ expression }})::numeric, {{ digits }})::float8
{%- endmacro %}
{% macro duckdb__round_to(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}


{#- One row per `keys`, the first by `order`: `select {{ one_per(keys) }} * from x {{ first_by(keys, order) }}`.
    DuckDB keeps QUALIFY (DISTINCT ON is ~10× slower there on millions of rows); PostgreSQL has no QUALIFY
    and keeps DISTINCT ON. The tail goes where QUALIFY goes: after WHERE, GROUP BY and WINDOW. -#}
{% macro one_per(keys) -%}
    {{ return(adapter.dispatch('one_per')(keys)) }}
{%- endmacro %}
{% macro default__one_per(keys) -%}
    distinct on ({{ keys }})
{%- endmacro %}
{% macro duckdb__one_per(keys) -%}{%- endmacro %}

{% macro first_by(keys, order) -%}
    {{ return(adapter.dispatch('first_by')(keys, order)) }}
{%- endmacro %}
{% macro default__first_by(keys, order) -%}
    order by {{ keys }}, {{ order }}
{%- endmacro %}
{% macro duckdb__first_by(keys, order) -%}
    qualify row_number() over (partition by {{ keys }} order by {{ order }}) = 1
{%- endmacro %}

{#- A short key of a long text to group on (a file's sha256): DuckDB groups a 64-bit hash much faster than
    a 64-character string that does not fit inline; PostgreSQL groups the text itself. Only ever compared
    for equality between rows, never stored. -#}
{% macro file_key(expr) -%}
    {{ return(adapter.dispatch('file_key')(expr)) }}
{%- endmacro %}
{% macro default__file_key(expr) -%}
    {{ expr }}
{%- endmacro %}
{% macro duckdb__file_key(expr) -%}
    hash({{ expr }})
{%- endmacro %}
