-- The timers table held each delay's and retry's due time, but nothing read it: a run's
-- due times are in its events (step.delay_scheduled, step.retry_scheduled), which the
-- engine folds into the run's state when it resumes. Dropped so every timer is not written twice.
DROP INDEX IF EXISTS timers_due;
DROP TABLE IF EXISTS timers;
