-- Run statistics: per minute (`slot`, ms), system and trigger, the runs accepted
-- (`kind` 'accepted', `bucket` -1) and finished (`kind` 'succeeded'/'failed', `bucket` the
-- trigger-to-completion latency bucket, see runtime/src/slo/histogram.rs). The writer adds
-- to them in the same transaction as each accepted and finished run, so SLO figures and
-- `claw status` read a few hundred rows instead of every run of the window.
CREATE TABLE IF NOT EXISTS run_stats (
    slot BIGINT NOT NULL,
    system TEXT NOT NULL,
    trigger_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (slot, system, trigger_name, kind, bucket)
);

-- Runs stored before this table existed (one pass at upgrade).
INSERT INTO run_stats (slot, system, trigger_name, kind, bucket, n)
SELECT (received_at / 60000) * 60000, system, trigger_name, 'accepted', -1, COUNT(*)
FROM runs GROUP BY (received_at / 60000) * 60000, system, trigger_name;

INSERT INTO run_stats (slot, system, trigger_name, kind, bucket, n)
SELECT slot, system, trigger_name, status, bucket, COUNT(*) FROM (
    SELECT (received_at / 60000) * 60000 AS slot, system, trigger_name, status,
        CASE WHEN lat < 2048 THEN (CASE WHEN lat < 0 THEN 0 ELSE lat END)
        WHEN lat < 4096 THEN 2048 + 0 + ((lat >> 3) & 255)
        WHEN lat < 8192 THEN 2048 + 256 + ((lat >> 4) & 255)
        WHEN lat < 16384 THEN 2048 + 512 + ((lat >> 5) & 255)
        WHEN lat < 32768 THEN 2048 + 768 + ((lat >> 6) & 255)
        WHEN lat < 65536 THEN 2048 + 1024 + ((lat >> 7) & 255)
        WHEN lat < 131072 THEN 2048 + 1280 + ((lat >> 8) & 255)
        WHEN lat < 262144 THEN 2048 + 1536 + ((lat >> 9) & 255)
        WHEN lat < 524288 THEN 2048 + 1792 + ((lat >> 10) & 255)
        WHEN lat < 1048576 THEN 2048 + 2048 + ((lat >> 11) & 255)
        WHEN lat < 2097152 THEN 2048 + 2304 + ((lat >> 12) & 255)
        WHEN lat < 4194304 THEN 2048 + 2560 + ((lat >> 13) & 255)
        WHEN lat < 8388608 THEN 2048 + 2816 + ((lat >> 14) & 255)
        WHEN lat < 16777216 THEN 2048 + 3072 + ((lat >> 15) & 255)
        WHEN lat < 33554432 THEN 2048 + 3328 + ((lat >> 16) & 255)
        WHEN lat < 67108864 THEN 2048 + 3584 + ((lat >> 17) & 255)
        WHEN lat < 134217728 THEN 2048 + 3840 + ((lat >> 18) & 255)
        WHEN lat < 268435456 THEN 2048 + 4096 + ((lat >> 19) & 255)
        WHEN lat < 536870912 THEN 2048 + 4352 + ((lat >> 20) & 255)
        WHEN lat < 1073741824 THEN 2048 + 4608 + ((lat >> 21) & 255)
        WHEN lat < 2147483648 THEN 2048 + 4864 + ((lat >> 22) & 255)
        WHEN lat < 4294967296 THEN 2048 + 5120 + ((lat >> 23) & 255)
        WHEN lat < 8589934592 THEN 2048 + 5376 + ((lat >> 24) & 255)
        WHEN lat < 17179869184 THEN 2048 + 5632 + ((lat >> 25) & 255)
        WHEN lat < 34359738368 THEN 2048 + 5888 + ((lat >> 26) & 255)
        WHEN lat < 68719476736 THEN 2048 + 6144 + ((lat >> 27) & 255)
        WHEN lat < 137438953472 THEN 2048 + 6400 + ((lat >> 28) & 255)
        WHEN lat < 274877906944 THEN 2048 + 6656 + ((lat >> 29) & 255)
        WHEN lat < 549755813888 THEN 2048 + 6912 + ((lat >> 30) & 255)
        WHEN lat < 1099511627776 THEN 2048 + 7168 + ((lat >> 31) & 255)
        WHEN lat < 2199023255552 THEN 2048 + 7424 + ((lat >> 32) & 255)
        WHEN lat < 4398046511104 THEN 2048 + 7680 + ((lat >> 33) & 255)
        WHEN lat < 8796093022208 THEN 2048 + 7936 + ((lat >> 34) & 255)
        WHEN lat < 17592186044416 THEN 2048 + 8192 + ((lat >> 35) & 255)
        ELSE 2048 + 8448 END AS bucket
    FROM (SELECT received_at, system, trigger_name, status, (finished_at - GREATEST(COALESCE(scheduled_at, received_at), received_at)) AS lat
          FROM runs WHERE status IN ('succeeded', 'failed') AND finished_at IS NOT NULL) AS f
) AS b
GROUP BY slot, system, trigger_name, status, bucket;
