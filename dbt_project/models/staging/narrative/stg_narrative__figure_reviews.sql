with source as (
    select * from {{ source('narrative', 'figure_reviews') }}
),

renamed as (
    select
        figure_key,
        decision,
        indicator_code      as remapped_indicator_code,
        reviewed_by,
        reviewed_on,
        reason              as review_reason_given,
        source              as decision_source
    from source
)

select * from renamed
