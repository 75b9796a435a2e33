// Loaded with `node --import` by the benchmark: report the process's peak RSS on exit.
import fs from 'node:fs';
process.on('exit', () => {
  if (process.env.BENCH_RSS_FILE) fs.appendFileSync(process.env.BENCH_RSS_FILE, `${process.resourceUsage().maxRSS}\n`);
});
