// Which scheduled-sync intervals exist: cron (pg-boss schedules) can only step evenly within an
// hour or a day, so an interval divides 60 minutes or is whole hours dividing 24. Checked where a
// config is accepted (config apply, the admin page) so that scheduling it can never fail later.
export const SYNC_INTERVALS_MINUTES = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440] as const;

export function isSyncInterval(minutes: number): boolean {
  return (SYNC_INTERVALS_MINUTES as readonly number[]).includes(minutes);
}
