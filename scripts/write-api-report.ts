/**
 * `npm run api-report`: regenerate the committed API report ({@link API_REPORT_FILE}) from the
 * entry points. Commit the result with the change that moved the public surface.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { API_REPORT_FILE, API_REPORT_PATH, apiReport } from './api-report';

mkdirSync(dirname(API_REPORT_PATH), { recursive: true });
writeFileSync(API_REPORT_PATH, apiReport());
console.log(`wrote ${API_REPORT_FILE}`);
