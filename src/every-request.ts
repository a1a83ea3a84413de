import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';

/**
 * The `requestDidStart` of a plugin whose request listener keeps no state of its own (each hook
 * reads what it needs from its arguments): one listener serves every request, handed out as one
 * settled promise, so a request allocates nothing for the plugin. Apollo awaits the hook for each
 * of its plugins on every request; the pipeline is otherwise unchanged.
 */
export function everyRequest<C extends BaseContext>(
  listener: GraphQLRequestListener<C>,
): Required<Pick<ApolloServerPlugin<C>, 'requestDidStart'>> {
  const listening = Promise.resolve(listener);
  return { requestDidStart: () => listening };
}
