/*
 * visitsd browser client as an ES module:
 *
 *   import { countVisit } from './visits.js';
 *   countVisit({ endpoint: 'https://api.example.com', apiKey: '...', user: 'jane',
 *                element: '#visits', dedupeSeconds: 1800 });
 *
 * The code lives in visits.global.js (one source for both the module and the
 * classic <script> variant, no build step); importing it defines
 * globalThis.visitsd, which this module re-exports.  See docs/frontend.md.
 */
import './visits.global.js';

export const countVisit = globalThis.visitsd.countVisit;
export default countVisit;
