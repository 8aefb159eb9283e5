-- Operations (issue 18, seed 003 §9; docs/API-PAYMENTS.md, "Referrals", "Activities"): every
-- person has a referral code; who referred them is kept on their row; the referrer's reward is
-- paid once, on the referred person's first paid order. Activities are joined once per person.
ALTER TABLE users ADD COLUMN referral_code TEXT;
ALTER TABLE users ADD COLUMN referred_by TEXT;
-- Existing people get a code now (new ones get theirs when their row is made).
UPDATE users SET referral_code = upper(substr(md5(random()::text || id), 1, 8)) WHERE kind = 'person';
CREATE UNIQUE INDEX users_referral_code ON users (referral_code);
CREATE INDEX users_referred_by ON users (referred_by);

-- One reward per referred person, ever: the primary key is what makes it once.
CREATE TABLE referral_rewards (
    referred_id TEXT PRIMARY KEY,
    referrer_id TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    transfer_id TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX referral_rewards_referrer ON referral_rewards (referrer_id);

CREATE TABLE activities (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('credit_gift', 'membership_discount', 'referral_bonus', 'first_purchase')),
    description TEXT NOT NULL DEFAULT '',
    -- credit_gift, referral_bonus: credits; membership_discount, first_purchase: percent off.
    credits     BIGINT CHECK (credits IS NULL OR credits > 0),
    percent     BIGINT CHECK (percent IS NULL OR (percent > 0 AND percent < 100)),
    start_time  TEXT NOT NULL,
    end_time    TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at  TEXT NOT NULL
);
CREATE INDEX activities_window ON activities (status, end_time);

-- A person in an activity: joined; for an offer on an order, held by an open order (reserved)
-- and used once it is paid.
CREATE TABLE activity_participations (
    activity_id     TEXT NOT NULL REFERENCES activities (id),
    user_id         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('joined', 'reserved', 'used')),
    order_id        TEXT,
    credits_granted BIGINT NOT NULL DEFAULT 0,
    joined_at       TEXT NOT NULL,
    used_at         TEXT,
    PRIMARY KEY (activity_id, user_id)
);
CREATE INDEX activity_participations_user ON activity_participations (user_id, status);

ALTER TABLE payment_orders ADD COLUMN activity_id TEXT;
