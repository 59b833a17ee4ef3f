{#- A figure as BIGINT when it is a whole number within BIGINT's range; null otherwise (a fraction, or
    nothing). Counts are kept in DOUBLE columns beside rates; this gives analysts the integer. -#}
{% macro whole_number(expression) -%}
    case
        when {{ expression }} = trunc({{ expression }}) and abs({{ expression }}) < 9.2e18
            then ({{ expression }})::bigint
    end
{%- endmacro %}
