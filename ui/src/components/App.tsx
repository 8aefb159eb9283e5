import { ProjectsPage } from './ProjectsPage';
import { Sidebar } from './Sidebar';
import { ToastProvider } from './Toasts';

export function App() {
  return (
    <ToastProvider>
      <div className="app-shell">
        <Sidebar />
        <main className="main" id="main">
          <ProjectsPage />
        </main>
      </div>
    </ToastProvider>
  );
}
