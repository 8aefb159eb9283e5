//! A credit hold's states (see [`crate::states`]). A hold resolves exactly once (the database's
//! `ledger_holds_resolve_once` trigger refuses any other change).
crate::states! {
    pub enum HoldStatus ("hold") {
        /// The credits are held for work going on.
        Pending = "pending",
        /// Charged (its actual cost, up to the estimate); the rest went back.
        Settled = "settled",
        /// Released: everything went back to the wallet.
        Voided = "voided",
    }
    transitions {
        Pending => Settled | Voided,
    }
}

#[cfg(test)]
mod tests {
    use super::HoldStatus::{self, *};

    #[test]
    fn a_hold_resolves_exactly_once() {
        for from in HoldStatus::ALL {
            for to in HoldStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    from == Pending && to != Pending,
                    "{from} → {to}"
                );
            }
        }
        assert_eq!(
            HoldStatus::transition_sql(Settled),
            ("status = 'settled'".into(), "status IN ('pending')".into())
        );
        crate::states::check_names::<HoldStatus>();
    }
}
