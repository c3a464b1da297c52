# coding stage: rules only (see the issue for this stage). Not built yet.
