"""Outcomes: goals, Goal Attainment Scaling, reablement episodes and the measures built on them."""
