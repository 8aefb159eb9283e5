//! A shot's states (see [`crate::states`]): the keyframe's progress through drawing and review.
crate::states! {
    pub enum ShotStatus ("shot") {
        /// No keyframe yet.
        Pending = "pending",
        /// Its keyframe is being drawn.
        Generating = "generating",
        /// It has a keyframe nobody has decided on.
        Completed = "completed",
        /// Approved in review: its keyframe is locked.
        Approved = "approved",
        /// Rejected in review: it waits for a new frame.
        Rejected = "rejected",
        /// Drawing its keyframe failed.
        Failed = "failed",
    }
    transitions {
        // A shot that is not approved may be drawn, decided on, or set by hand to any state.
        Pending | Generating | Completed | Rejected | Failed
            => Pending | Generating | Completed | Approved | Rejected | Failed,
        // An approved keyframe is locked: it is approved again (another frame chosen) or unlocked.
        Approved => Approved | Completed,
    }
}

impl ShotStatus {
    /// Approved: nothing redraws its keyframe and it cannot be rejected until it is unlocked.
    pub fn is_locked(self) -> bool {
        self == Self::Approved
    }
}

#[cfg(test)]
mod tests {
    use super::ShotStatus::{self, *};
    use crate::states::Status;

    #[test]
    fn an_approved_keyframe_only_moves_by_being_unlocked() {
        for to in ShotStatus::ALL {
            assert_eq!(
                Approved.can_become(to),
                matches!(to, Approved | Completed),
                "{to}"
            );
            for from in ShotStatus::ALL.into_iter().filter(|s| !s.is_locked()) {
                assert!(from.can_become(to), "{from} → {to}");
            }
        }
        // A drawn keyframe never replaces an approved one.
        assert_eq!(
            ShotStatus::transition_sql_from(Completed, |s| !s.is_locked()).1,
            "status IN ('pending', 'generating', 'completed', 'rejected', 'failed')"
        );
        assert_eq!(
            ShotStatus::transition_sql(Rejected).1,
            "status IN ('pending', 'generating', 'completed', 'rejected', 'failed')"
        );
        crate::states::check_names::<ShotStatus>();
    }
}
