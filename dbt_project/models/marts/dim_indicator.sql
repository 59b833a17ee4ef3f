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
    system_source
from {{ ref('ref_indicators') }}
