select
    indicator_code,
    form_order,
    name_vi,
    name_en,
    unit,
    kind,
    aggregation,
    numerator_vi,
    denominator_vi,
    target_value,
    higher_is_better,
    system_source,
    reported_on
from {{ ref('ref_indicators') }}
