import { ApolloProvider } from '@apollo/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createPortalClient } from './apollo';
import { currentPersona, createDevAuth, DEMO_PERSONAS, type DemoPersona, switchPersona } from './auth/dev-auth';
import { loadPortalConfig } from './config';
import './styles.css';

/** Starts the portal: deployment config, sign-in, the client, then the page. */
async function start(root: HTMLElement): Promise<void> {
  const config = await loadPortalConfig();
  const persona = currentPersona();
  // The one place that knows sign-in is the demo's: swap createDevAuth for your provider (auth/auth.ts).
  const client = createPortalClient(config.bffUrl, createDevAuth(persona));
  createRoot(root).render(
    <StrictMode>
      <ApolloProvider client={client}>
        <App account={<PersonaPicker current={persona} />} />
      </ApolloProvider>
    </StrictMode>,
  );
}

/** The demo's stand-in for a sign-in button: pick who you are. */
function PersonaPicker({ current }: { readonly current: DemoPersona }) {
  return (
    <label className="persona">
      Persona{' '}
      <select value={current} onChange={(event) => switchPersona(event.target.value as DemoPersona)}>
        {Object.entries(DEMO_PERSONAS).map(([name, description]) => (
          <option key={name} value={name}>
            {description}
          </option>
        ))}
      </select>
    </label>
  );
}

const root = document.getElementById('root')!;
start(root).catch((error: unknown) => {
  root.textContent = `The portal could not start: ${error instanceof Error ? error.message : String(error)}`;
});
