import type { Workspace } from '../../api/workspaces';
import { useT } from '../../i18n';
import './team.css';


/** The personal workspace: it can't be shared; offer a team workspace instead. */
export function PersonalTeamView({ workspace, onCreate }: { workspace: Workspace; onCreate: () => void }) {
  const t = useT();
  return (
    <div className="page team-page" data-testid="team-page" data-personal="true">
      <header className="page-header">
        <div>
          <h1 data-testid="team-workspace-name">{workspace.name}</h1>
          <p className="page-subtitle">{t('team.personal')}</p>
        </div>
      </header>
      <section className="panel team-section" data-testid="personal-workspace-notice">
        <h2 className="section-title">{t('team.onlyYou')}</h2>
        <p>
          {t('team.personalBody')}
        </p>
        <button type="button" className="button primary" onClick={onCreate} data-testid="create-team-workspace">
          {t('team.createTeam')}
        </button>
      </section>
    </div>
  );
}
