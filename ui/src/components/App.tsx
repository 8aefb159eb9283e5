import { useEffect, useState } from 'react';
import { parseRoute, type Route } from '../lib/route';
import { CreditsPage } from './CreditsPage';
import { EditorPage } from './editor/EditorPage';
import { ProjectsPage } from './ProjectsPage';
import { Sidebar } from './Sidebar';
import { ToastProvider } from './Toasts';

function useHashRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function App() {
  const route = useHashRoute();
  return (
    <ToastProvider>
      <div className="app-shell">
        <Sidebar section={route.name === 'credits' ? 'credits' : 'projects'} />
        <main className="main" id="main">
          {route.name === 'project' ? (
            <EditorPage key={route.id} projectId={route.id} tab={route.tab} />
          ) : route.name === 'credits' ? (
            <CreditsPage />
          ) : (
            <ProjectsPage />
          )}
        </main>
      </div>
    </ToastProvider>
  );
}
