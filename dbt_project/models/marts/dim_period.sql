-- Reporting periods for analysts and reports: the calendar expanded in intermediate (int_periods), which the
-- intermediate models read too (intermediate models do not read marts).
select * from {{ ref('int_periods') }}
