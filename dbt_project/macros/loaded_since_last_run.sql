{#- In an incremental run, only the rows loaded after the newest row already in this model. -#}
{% macro loaded_since_last_run(column='loaded_at') %}
    {% if is_incremental() %}
    where {{ column }} > (select coalesce(max({{ column }}), '-infinity'::timestamp) from {{ this }})
    {% endif %}
{% endmacro %}
