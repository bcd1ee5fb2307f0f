"""Judging generated images: how good, how varied, and what the discriminator thinks.

`classifier` is the small feature CNN, `frechet` the distance in its feature space,
`manifold` precision, recall, density and coverage in it, `class_balance` the class histogram
and the mode-collapse judgement, `registry` which classifier
scores which dataset (shipped, cached or trained), `scoring` scores a generator, `run_scores`
scores a stored run's epochs, `folder_scoring` a folder of the user's images with classes,
`discriminator` the D report, `stored` reads stored results without torch, and `make_shipped`
makes the MNIST classifier the package ships. `versions` says which classifier version scores
each dataset now (and which stored scores came from an older one); `degradations` spoils real
images in known ways, `reference_marks` measures what they score, and `marks` reads those marks
and places a score between them (`versions` and `marks` without torch). `neighbours` finds
generated samples' nearest training images and the memorisation ratio (near-copies),
`run_neighbours` for a stored run's epoch.
"""
