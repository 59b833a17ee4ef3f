{# The key every name is matched on; mirrors pipelines.vietnamese.name_key (tested to agree). #}
{% macro name_key(expr) -%}
    trim(regexp_replace(lower({{ nfc(expr) }}), '\s+', ' ', 'g'))
{%- endmacro %}

{#- Unicode NFC of a text, so that a name typed with combining marks (NFD) matches its composed form. -#}
{% macro nfc(expr) -%}
    {{ return(adapter.dispatch('nfc')(expr)) }}
{%- endmacro %}

{% macro default__nfc(expr) -%}
    normalize({{ expr }}, NFC)
{%- endmacro %}

{% macro duckdb__nfc(expr) -%}
    nfc_normalize({{ expr }})
{%- endmacro %}
