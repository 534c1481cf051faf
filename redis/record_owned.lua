-- djass-worker (worker/record.c): 1 while the record still says generating
-- with the caller's attempt, 0 once another worker took the job over, 2
-- when the record is gone (the project was deleted: the job is cancelled).
--
--   project  djass:project:<id>
--   attempt  the caller's attempt number

--! KEYS project
--! ARGV attempt

local r = redis.call('HMGET', project, 'status', 'attempts')
if not r[1] then return 2 end
if r[1] == 'generating' and r[2] == attempt then return 1 end
return 0
