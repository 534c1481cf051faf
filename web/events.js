/*
 * A project's progress through GET /projects/{id}/events: EventSource
 * cannot send the X-API-Key header, so this reads the stream with fetch()
 * and parses Server-Sent Events itself (event, data, id, comments).  Any
 * failure before the terminal event ends in onFail(), and the page polls
 * the status instead; a server without the endpoint is not asked again.
 *
 * window.DjassEvents.follow(url, headers, current, onStatus, onFail)
 */
(function () {
    'use strict';

    var eventsOff = false;

    /* GET url (an events stream) with the headers given; onStatus(st) for
       each status event while current() holds; onFail() once when the
       stream cannot be used (then the caller polls); answers a function
       that closes the stream at once */
    function follow(url, given, current, onStatus, onFail) {
        var lastId = '';
        var tries = 0;
        var stop = null;

        function open() {
            var ctl = new AbortController();
            var headers = { 'Accept': 'text/event-stream' };
            var k;
            var finished = false;
            var timer = null;
            var buf = '';
            var data = [];
            var name = '';

            function arm() {
                clearTimeout(timer);
                /* keepalives come every 15 s: a silent stream is dead */
                timer = setTimeout(function () { ctl.abort(); }, 40000);
            }
            function line(l) {
                var i = l.indexOf(':');
                var f = i < 0 ? l : l.slice(0, i);
                var v = i < 0 ? '' : l.slice(i + 1).replace(/^ /, '');
                var st = null;
                if (l === '') {
                    if (data.length && (name === '' || name === 'status')) {
                        try { st = JSON.parse(data.join('\n')); } catch (e) {
                            st = null;
                        }
                        if (st && typeof st.status === 'string') {
                            finished = st.status === 'ready'
                                       || st.status === 'failed';
                            onStatus(st);
                        }
                    }
                    data = [];
                    name = '';
                } else if (f === 'data') {
                    data.push(v);
                } else if (f === 'event') {
                    name = v;
                } else if (f === 'id') {
                    lastId = v;
                }
            }
            function next(reader) {
                return reader.read().then(function (r) {
                    var lines;
                    if (!current()) { ctl.abort(); return; }
                    if (r.done) { throw new Error('the stream ended'); }
                    arm();
                    lines = (buf + r.value).split(/\r\n|\r|\n/);
                    buf = lines.pop();
                    lines.forEach(line);
                    if (finished) { ctl.abort(); return; }
                    return next(reader);
                });
            }

            for (k in given) {
                if (Object.prototype.hasOwnProperty.call(given, k)) {
                    headers[k] = given[k];
                }
            }
            if (lastId) { headers['Last-Event-ID'] = lastId; }
            stop = function () { ctl.abort(); };
            arm();
            fetch(url, { headers: headers, cache: 'no-store',
                    credentials: 'same-origin', redirect: 'error',
                    signal: ctl.signal }).then(function (res) {
                var type = res.headers.get('Content-Type') || '';
                if (!res.ok || type.indexOf('text/event-stream') !== 0
                    || !res.body)
                {
                    /* no such endpoint here: poll from now on */
                    if ([404, 405, 406, 501].indexOf(res.status) !== -1
                        || res.ok)
                    {
                        eventsOff = true;
                    }
                    throw new Error('no stream');
                }
                return next(res.body.pipeThrough(new TextDecoderStream())
                                .getReader());
            }).catch(function () {
                clearTimeout(timer);
                if (finished || !current()) { return; }
                /* a stream that ran ends on a reload: reconnect once or
                   twice with Last-Event-ID, then poll */
                if (!eventsOff && lastId && ++tries <= 2) {
                    setTimeout(open, 500);
                    return;
                }
                onFail();
            }).then(function () { clearTimeout(timer); });
        }

        if (eventsOff || !window.TextDecoderStream || !window.AbortController)
        {
            onFail();
            return function () {};
        }
        open();
        return function () {
            current = function () { return false; };
            if (stop) { stop(); }
        };
    }

    window.DjassEvents = { follow: follow };
}());
