import { routeHash, type Route } from './route';

/** Goes to a route (a new history entry, so Back works). */
export function navigate(route: Route): void {
  const hash = routeHash(route);
  if (window.location.hash !== hash) window.location.hash = hash;
}
