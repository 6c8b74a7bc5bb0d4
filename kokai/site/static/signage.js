/* The signage view of a stop: the next departures by the clock, in Japan time
   whatever the device's zone. Everything comes from the page's data-signage
   (the stop's departures and its services' calendar), so it keeps working
   when the network drops: no request after loading.

   Data (see kokai/gtfs/timetable.py signage_data): departures [[seconds,
   route, headsign, service]] sorted by seconds; calendar [[service,
   "1111100" (Mon..Sun), "YYYYMMDD" start, end]]; dates [[service,
   "YYYYMMDD", 1 added | 2 removed]]. A departure's seconds count from the
   start of its service day and may pass 24 h: 25:10 on day D is 01:10 on D+1. */
(function () {
  'use strict';

  var JST_OFFSET_MS = 9 * 3600 * 1000; // Japan has no daylight saving time
  var DAY = 86400;
  var WEEKDAYS = ['月', '火', '水', '木', '金', '土', '日'];

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  /** Japan-time calendar date and seconds since its midnight for a Date. */
  function jstParts(now) {
    var d = new Date(now.getTime() + JST_OFFSET_MS);
    return {
      ymd: '' + d.getUTCFullYear() + pad(d.getUTCMonth() + 1) + pad(d.getUTCDate()),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      weekday: (d.getUTCDay() + 6) % 7, // 0 = Monday, as in calendar.txt
      seconds: d.getUTCHours() * 3600 + d.getUTCMinutes() * 60 + d.getUTCSeconds()
    };
  }

  function ymdToUtc(ymd) {
    return Date.UTC(+ymd.slice(0, 4), +ymd.slice(4, 6) - 1, +ymd.slice(6, 8));
  }

  function addDays(ymd, n) {
    var d = new Date(ymdToUtc(ymd) + n * DAY * 1000);
    return '' + d.getUTCFullYear() + pad(d.getUTCMonth() + 1) + pad(d.getUTCDate());
  }

  function weekdayOf(ymd) { return (new Date(ymdToUtc(ymd)).getUTCDay() + 6) % 7; }

  /** The services running on a service day: calendar rows covering it on its
      weekday, plus calendar_dates additions, minus removals. Sorted indexes. */
  function activeServices(data, ymd) {
    var active = {};
    var weekday = weekdayOf(ymd);
    data.calendar.forEach(function (row) {
      if (row[2] <= ymd && ymd <= row[3] && row[1].charAt(weekday) === '1') active[row[0]] = true;
    });
    data.dates.forEach(function (row) {
      if (row[1] === ymd && row[2] === 1) active[row[0]] = true;
    });
    data.dates.forEach(function (row) {
      if (row[1] === ymd && row[2] === 2) delete active[row[0]];
    });
    return Object.keys(active).map(Number).sort(function (a, b) { return a - b; });
  }

  /** The departures of a service day (sorted by their GTFS seconds). */
  function departuresOn(data, ymd) {
    var active = {};
    activeServices(data, ymd).forEach(function (s) { active[s] = true; });
    return data.departures.filter(function (dep) { return active[dep[3]]; });
  }

  /** "H:MM" on the clock for seconds since a midnight (25:10 → 1:10). */
  function formatClock(seconds) {
    var minutes = Math.floor(seconds / 60);
    return (Math.floor(minutes / 60) % 24) + ':' + pad(minutes % 60);
  }

  function item(data, dep, serviceDay, offsetDays, nowMinute) {
    var clock = dep[0] + offsetDays * DAY; // seconds since today's (Japan) midnight
    return {
      time: formatClock(clock),
      gtfsTime: dep[0],
      route: data.routes[dep[1]].name,
      color: data.routes[dep[1]].color,
      headsign: data.headsigns[dep[2]],
      minutes: Math.floor(clock / 60) - nowMinute,
      serviceDay: serviceDay
    };
  }

  /** The next `count` departures at `now`: today's service day, and yesterday's
      trips after midnight (24:xx). When none remain: ended (or noService when
      today's service day has none at all) and the first departures of the next
      day with service, within a week. */
  function nextDepartures(data, now, count) {
    count = count || 5;
    var today = jstParts(now);
    var nowMinute = Math.floor(today.seconds / 60);
    var items = [];
    [-1, 0].forEach(function (offset) {
      var serviceDay = addDays(today.ymd, offset);
      departuresOn(data, serviceDay).forEach(function (dep) {
        // A departure in the current minute is still shown (まもなく).
        if (Math.floor((dep[0] + offset * DAY) / 60) >= nowMinute) {
          items.push(item(data, dep, serviceDay, offset, nowMinute));
        }
      });
    });
    items.sort(function (a, b) { return a.minutes - b.minutes; });
    var result = {
      today: today,
      items: items.slice(0, count),
      ended: items.length === 0,
      noService: departuresOn(data, today.ymd).length === 0,
      next: null
    };
    if (result.ended) {
      for (var n = 1; n <= 7; n++) {
        var day = addDays(today.ymd, n);
        var deps = departuresOn(data, day);
        if (deps.length) {
          result.next = {
            serviceDay: day,
            month: +day.slice(4, 6),
            day: +day.slice(6, 8),
            weekday: weekdayOf(day),
            items: deps.slice(0, count).map(function (dep) {
              return item(data, dep, day, n, nowMinute);
            })
          };
          break;
        }
      }
    }
    return result;
  }

  var api = {
    jstParts: jstParts,
    addDays: addDays,
    weekdayOf: weekdayOf,
    activeServices: activeServices,
    departuresOn: departuresOn,
    formatClock: formatClock,
    nextDepartures: nextDepartures
  };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  if (typeof document === 'undefined') return;

  // --- the page --------------------------------------------------------------------------

  function fixedClock() {
    var match = /[?&]now=([^&]+)/.exec(window.location.search);
    if (!match) return null;
    var date = new Date(decodeURIComponent(match[1]));
    return isNaN(date.getTime()) ? null : date;
  }

  function cell(row, text, className) {
    var td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function waitText(minutes) {
    if (minutes <= 0) return 'まもなく';
    if (minutes < 60) return minutes + '分';
    return Math.floor(minutes / 60) + '時間' + (minutes % 60) + '分';
  }

  function start() {
    var root = document.getElementById('signage');
    if (!root) return;
    var data = JSON.parse(root.getAttribute('data-signage'));
    var fixed = fixedClock();
    var clock = document.getElementById('signage-clock');
    var dateText = document.getElementById('signage-date');
    var status = document.getElementById('signage-status');
    var rows = document.getElementById('signage-rows');
    var lastStatus = null;

    function render() {
      var now = fixed || new Date();
      var result = nextDepartures(data, now, 5);
      var t = result.today;
      dateText.textContent = t.month + '月' + t.day + '日（' + WEEKDAYS[t.weekday] + '）';
      clock.textContent = formatClock(t.seconds);
      var text = '';
      var shown = result.items;
      if (result.ended) {
        text = result.noService ? '本日の運行はありません。' : '本日の運行は終了しました。';
        if (result.next) {
          var n = result.next;
          text += '次の運行日（' + n.month + '月' + n.day + '日・' + WEEKDAYS[n.weekday] + '）の始発から表示しています。';
          shown = n.items;
        }
      }
      // Announce only a change of status, not every refresh.
      if (text !== lastStatus) { status.textContent = text; lastStatus = text; }
      rows.textContent = '';
      shown.forEach(function (it) {
        var tr = document.createElement('tr');
        if (result.ended) tr.className = 'next-day';
        cell(tr, it.time, 'time');
        var route = cell(tr, it.route, 'route');
        if (it.color) route.style.borderLeftColor = it.color;
        cell(tr, it.headsign + ' 行き');
        cell(tr, result.ended ? '' : waitText(it.minutes), 'wait');
        rows.appendChild(tr);
      });
    }

    render();
    if (!fixed) window.setInterval(render, 15000);

    var button = document.getElementById('signage-fullscreen');
    if (button && document.documentElement.requestFullscreen) {
      button.hidden = false;
      button.addEventListener('click', function () {
        document.documentElement.requestFullscreen();
      });
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
