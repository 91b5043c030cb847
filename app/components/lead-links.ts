import type { LinksFunction } from '@remix-run/node';
import leadCss from './lead-pages.css';

/** The lead pages' stylesheet (timeline, charts, JSON editor), added by each lead route's `links`. */
export const leadLinks: LinksFunction = () => [{ rel: 'stylesheet', href: leadCss }];
