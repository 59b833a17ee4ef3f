{#- The one way the warehouse sorts Vietnamese text: ICU's Vietnamese collation (DuckDB's built-in icu
    extension; PostgreSQL's ICU collation "vi-x-icu"), so «Đăk Tô» follows «Dục Nông» instead of «Ya Ly»,
    and tones sort after their base letter. Use it in every order by that puts names in front of a reader. -#}
{% macro vietnamese_order(expression) -%}
    {{ return(adapter.dispatch('vietnamese_order')(expression)) }}
{%- endmacro %}

{% macro default__vietnamese_order(expression) -%}
    {{ expression }} collate "vi-x-icu"
{%- endmacro %}

{% macro duckdb__vietnamese_order(expression) -%}
    {{ expression }} collate vi
{%- endmacro %}
