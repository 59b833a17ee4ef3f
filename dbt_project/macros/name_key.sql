{# The key every name is matched on; mirrors pipelines.vietnamese.name_key (tested to agree). #}
{% macro name_key(expr) -%}
    trim(regexp_replace(lower(nfc_normalize({{ expr }})), '\s+', ' ', 'g'))
{%- endmacro %}
