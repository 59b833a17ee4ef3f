{# Uniqueness of a combination of columns, without the dbt_utils package (no network for `dbt deps`). #}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
