-- Fallback data for bench/outcomes.py when the demo county-year is not available:
-- the outcome tables at county-year scale (3,000 people, ~1 million progress entries,
-- ~20,000 a week), written straight in SQL. Run on an empty database of this schema
-- after the organisations, contracts, people and packages are in (see --synthetic).
INSERT INTO goals (id, service_user_id, package_id, description, domain, measure, baseline,
                   target, importance, difficulty, review_date, status, status_reason,
                   created_at, closed_at)
SELECT gen_random_uuid(), p.service_user_id, p.id, 'I want to make my own breakfast',
       (ARRAY['personal_care','food_and_drink','safety','accommodation','occupation',
              'social_participation','control','dignity'])[1 + floor(random() * 8)::int],
       CASE WHEN slot.n = 3 THEN 'scale_10' ELSE 'gas' END,
       CASE WHEN slot.n = 3 THEN 3 ELSE -1 END, CASE WHEN slot.n = 3 THEN 7 ELSE 0 END,
       1 + floor(random() * 3)::int, 1 + floor(random() * 3)::int,
       (now() - make_interval(weeks => 56 - 13 * cycle.k) + interval '13 weeks')::date,
       CASE WHEN cycle.k < 4 THEN (ARRAY['achieved','achieved','partly_achieved',
            'discontinued'])[1 + floor(random() * 4)::int] ELSE 'active' END,
       NULL, now() - make_interval(weeks => 56 - 13 * cycle.k),
       CASE WHEN cycle.k < 4 THEN now() - make_interval(weeks => 43 - 13 * cycle.k) END
FROM care_packages p
CROSS JOIN generate_series(1, 3) AS slot(n)
CROSS JOIN generate_series(0, 4) AS cycle(k)
-- per package and slot (a bare random() here would be evaluated once per slot)
WHERE mod(abs(hashtext(p.id::text || slot.n::text)), 1000)
      < 400 * (CASE WHEN slot.n = 3 THEN 0.25 ELSE 1 END);
UPDATE goals SET status_reason = 'Moved away' WHERE status = 'discontinued';
UPDATE goals SET created_at = now() - interval '1 day', review_date = (now() + interval '12 weeks')::date
WHERE created_at > now();

INSERT INTO goal_progress (id, goal_id, visit_id, recorded_by_id, recorded_at, entered_at,
                           score, note, supersedes_id)
SELECT gen_random_uuid(), g.id, NULL, (SELECT id FROM users LIMIT 1), t.at, t.at,
       CASE WHEN g.measure = 'gas'
            THEN least(2, greatest(-2, round(-1 + 1.5 * i.n / 95.0 + random() - 0.5)))::int
            ELSE least(10, greatest(0, round(3 + 5 * i.n / 95.0 + random() * 2 - 1)))::int END,
       NULL, NULL
FROM goals g
CROSS JOIN generate_series(1, 95) AS i(n)
CROSS JOIN LATERAL (SELECT g.created_at + (coalesce(g.closed_at, now()) - g.created_at)
                    * (i.n / 96.0) AS at) t;

INSERT INTO goal_progress (id, goal_id, visit_id, recorded_by_id, recorded_at, entered_at,
                           score, note, supersedes_id)
SELECT gen_random_uuid(), p.goal_id, NULL, p.recorded_by_id, p.recorded_at,
       p.recorded_at + interval '1 day', p.score, 'Corrected', p.id
FROM goal_progress p WHERE random() < 0.005;

INSERT INTO reablement_episodes (id, service_user_id, package_id, start_date, from_hospital,
       planned_end, actual_end, barthel_start_total, barthel_end_total, weekly_minutes_start,
       weekly_minutes_end, outcome, followup_due, followup_result, age_at_start, created_at)
SELECT gen_random_uuid(), p.service_user_id, p.id, e.start, random() < 0.85,
       e.start + 42, e.start + 41, 5 + floor(random() * 9)::int, 10 + floor(random() * 10)::int,
       600 + floor(random() * 400)::int, floor(random() * 400)::int,
       (ARRAY['no_further_support','no_further_support','low_level_support',
              'long_term_support','other_short_term','residential_or_nursing','hospital',
              'died','declined'])[1 + floor(random() * 9)::int],
       e.start + 91,
       CASE WHEN e.start + 91 <= current_date THEN (ARRAY['at_home','at_home','at_home',
            'at_home','in_hospital','care_home','died','not_contactable'])
            [1 + floor(random() * 8)::int] END,
       60 + floor(random() * 35)::int, now()
FROM care_packages p
CROSS JOIN LATERAL (SELECT (current_date - 400 + floor(random() * 355)::int) AS start) e
WHERE random() < 0.35;
