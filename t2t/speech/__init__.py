"""Speech: audio features, augmentation, the audio front end and modality, the alphabet, CTC searches and test-time adaptation."""
