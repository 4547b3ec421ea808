export const LOGIN_URL = '/accounts/login/?next=/';

export function SignedOut() {
  return (
    <div className="signed-out" data-testid="signed-out">
      <a href={LOGIN_URL} data-testid="sign-in-link">
        Signed out — sign in
      </a>
    </div>
  );
}
