"""Speech on top of the core: audio features and augmentation, the audio modality and its front
end, the alphabet, CTC models and searches, test-time adaptation."""
