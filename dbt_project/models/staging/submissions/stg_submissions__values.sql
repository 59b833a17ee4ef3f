with source as (
    select * from {{ source('submissions', 'submission_values') }}
),

renamed as (
    select
        file_sha256 || '|' || indicator_code    as submission_value_id,
        file_sha256                             as submission_id,
        source_row,
        indicator_code,
        numerator::float8                       as numerator,
        numerator_text,
        denominator::float8                     as denominator,
        denominator_text,
        reported_rate::float8                   as reported_rate,
        reported_rate_text,
        note,
        has_formula
    from source
)

select * from renamed
