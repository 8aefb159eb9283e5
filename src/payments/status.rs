//! A payment order's states (see [`crate::states`]). An order is paid once; a terminal order
//! becomes paid only when the gateway, asked directly, says it was (a late payment after expiry),
//! which the service enforces: a callback alone never revives one.
crate::states! {
    pub enum OrderStatus ("payment order") {
        /// Made; waiting for the payer.
        Pending = "pending",
        /// The gateway confirmed the payment and its effect (credits, membership) committed.
        Paid = "paid",
        /// Not paid in time (the reconciler closes it).
        Expired = "expired",
        /// The gateway closed or refused the payment.
        Failed = "failed",
        /// Paid, then refunded.
        Refunded = "refunded",
    }
    transitions {
        Pending => Paid | Expired | Failed,
        Expired | Failed => Paid,
        Paid => Refunded,
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    #[test]
    fn an_order_is_paid_at_most_once_and_only_refunded_after() {
        assert!(Pending.can_become(Paid));
        assert!(Expired.can_become(Paid));
        assert!(!Paid.can_become(Paid));
        assert!(!Paid.can_become(Expired));
        assert!(!Refunded.can_become(Paid));
        assert!(!Pending.can_become(Refunded));
        assert_eq!(
            OrderStatus::transition_sql(Paid),
            (
                "status = 'paid'".into(),
                "status IN ('pending', 'expired', 'failed')".into()
            )
        );
        crate::states::check_names::<OrderStatus>();
    }
}
