"""The topic names of the real corpus (/work/shared/corpus), in its order: one list for the tests
and the benchmarks that want realistic names."""

CORPUS_TOPICS = (
    "AI",
    "AWS AI",
    "Natural Language Processing",
    "Machine Learning",
    "AI Ethics",
    "AI Hardware",
    "Facebook AI",
    "Meta AI",
    "Computer Vision",
    "AI in Robotics",
    "Google AI",
    "AI in Autos",
    "Microsoft AI",
    "TensorFlow",
    "AI in Healthcare",
    "IBM AI",
    "AI in Finance",
)
