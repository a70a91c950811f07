/* offline_join 0.2.0 -> 0.2.1: operating it day to day (issue #28): each
 * source's health, corrections, scheduled runs, progress, retention */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.2.1'" to load this file. \quit

