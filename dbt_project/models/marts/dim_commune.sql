select
    commune_id,
    official_code,
    commune_name,
    unit_type,
    name_with_type,
    province,
    former_province,
    -- the order lists of communes are printed in: Vietnamese alphabetical order of the name
    row_number() over (
        order by {{ vietnamese_order('commune_name') }}, {{ vietnamese_order('name_with_type') }}, commune_id
    ) as name_order
from {{ ref('ref_communes') }}
