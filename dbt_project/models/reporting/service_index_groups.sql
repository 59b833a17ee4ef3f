-- The Decision 766 groups a publication's table has columns for, in the catalogue's order, with the points
-- each can earn.
select
    group_code,
    max(group_name_vi) as group_name,
    sum(max_points) as max_points,
    min(criterion_order)::bigint as group_order
from {{ ref('ref_service_index_criteria') }}
group by group_code
