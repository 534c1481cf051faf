-- djass-worker (worker/queue.c): acknowledge and delete a job entry that
-- names no project.
--
--   stream  djass:jobs
--   group   the consumer group
--   entry   the job's stream entry

--! KEYS stream
--! ARGV group entry

redis.call('XACK', stream, group, entry)
redis.call('XDEL', stream, entry)
return 1
