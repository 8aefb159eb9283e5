import { useT } from '../../i18n';
import { ADMIN_OPS_ROUTES, SIMPLE_ROUTES, type AdminOpsRoute } from '../../lib/route';
import { useAuth } from '../account/AuthContext';
import { AdminActivities } from './AdminActivities';
import { AdminCoupons } from './AdminCoupons';
import { AdminOrders } from './AdminOrders';
import { AdminReleases } from './AdminReleases';
import { AdminStatistics } from './AdminStatistics';
import '../credits.css';
import '../payments/payments.css';
import './operations.css';

/** The tab bar of the operations pages: a link per route. */
export function AdminOpsTabs({ tab }: { tab: AdminOpsRoute }) {
  const t = useT();
  return (
    <nav className="tabs" aria-label={t('operations.admin.tabsLabel')}>
      {ADMIN_OPS_ROUTES.map((r) => (
        <a key={r} className={`tab${r === tab ? ' active' : ''}`} href={SIMPLE_ROUTES[r]} aria-current={r === tab ? 'page' : undefined} data-testid={`admin-ops-tab-${r.replace(/^admin-/, '')}`}>
          {t(`operations.admin.tabs.${r}`)}
        </a>
      ))}
    </nav>
  );
}

/** `#/admin/coupons|activities|orders|statistics|releases`: operations, for instance admins only. */
export function AdminOperationsPage({ tab }: { tab: AdminOpsRoute }) {
  const t = useT();
  const auth = useAuth();
  if (!auth?.user.is_admin) {
    return (
      <div className="page" data-testid="admin-ops-forbidden">
        <h1>{t('operations.admin.title')}</h1>
        <p className="muted">{t('operations.admin.adminOnly')}</p>
      </div>
    );
  }
  return (
    <div className="page credits ops-admin" data-testid="admin-ops-page" data-tab={tab}>
      <header className="page-header">
        <div>
          <h1>{t('operations.admin.title')}</h1>
          <p className="page-subtitle">{t('operations.admin.subtitle')}</p>
        </div>
      </header>
      <AdminOpsTabs tab={tab} />
      {tab === 'admin-coupons' && <AdminCoupons />}
      {tab === 'admin-activities' && <AdminActivities />}
      {tab === 'admin-orders' && <AdminOrders />}
      {tab === 'admin-statistics' && <AdminStatistics />}
      {tab === 'admin-releases' && <AdminReleases />}
    </div>
  );
}
