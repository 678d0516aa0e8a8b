/**
 * The built-in fixed prompt set (`--dataset builtin`): short, varied instructions typical of chat traffic, in a
 * fixed order so every backend and every run sees the same prompts. Changing this list changes the workload
 * fingerprint, which is intended.
 */
export const BUILTIN_PROMPTS: readonly string[] = [
  'Explain how paged attention reduces memory fragmentation in LLM serving.',
  'Write a short poem about a lighthouse keeper who collects clocks.',
  'Summarize the causes of the French Revolution in five bullet points.',
  'What is the difference between a process and a thread? Give an example.',
  'Translate into French: The meeting has been moved to Thursday afternoon.',
  'Write a Python function that checks whether a string is a palindrome.',
  'Describe the water cycle to a ten-year-old.',
  'List three trade-offs between latency and throughput in a web service.',
  'Draft a polite email declining a job offer after accepting another one.',
  'Explain what a Kubernetes Deployment does and how a rollout works.',
  'Give a recipe for a simple vegetable soup with quantities.',
  'What are the main ideas of the theory of plate tectonics?',
  'Write a haiku about continuous integration.',
  'Compare TCP and UDP, including when to use each.',
  'Explain gradient descent with a simple numerical example.',
  'Suggest five names for a bakery that also sells books.',
  'What should a team check before declaring a performance regression?',
  'Write a SQL query that returns the ten customers with the highest total order value.',
  'Explain the birthday paradox and why it is surprising.',
  'Describe how a bill becomes law in a parliamentary system.',
  'Write a short story opening set on a night train across the Alps.',
  'What is a p99 latency and why does it matter for user experience?',
  'Explain how public-key cryptography lets two strangers agree on a secret.',
  'Give advice for a first-time marathon runner in the last week before the race.',
];
