select
    commune_id,
    official_code,
    commune_name,
    unit_type,
    name_with_type,
    province,
    former_province
from {{ ref('ref_communes') }}
