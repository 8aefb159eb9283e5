//! Scenes and shots (seed 002 storyboards): stored breakdown, ordering, split/merge, re-parse merge.
