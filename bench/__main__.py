"""`make bench`: run every benchmark; each prints its figures and writes bench/results/<name>.json."""

from bench import fairness, webhook

webhook.main()
fairness.main([])
