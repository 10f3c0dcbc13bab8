// Every text of the pages on the relay listener, one table per language (docs/sign-in-page.md,
// "Languages"). A text is plain text: the page kit escapes it and puts the marked-up values in its
// {placeholders} (an address, a login).
import type { Language } from '../http/language.js';
import type { SignInFailedReason } from './paths.js';

export interface Notice {
  readonly title: string;
  readonly text: string;
}

/** What a refusal page of the relay listener says went wrong. */
export type Problem =
  | 'badQuery'
  | 'unregisteredUrl'
  | 'unavailable'
  | 'badContentType'
  | 'tooLarge'
  | 'badForm'
  | 'badEncoding'
  | 'notAsked'
  | 'formExpired'
  | 'unknownIdentityProvider'
  | 'samlRefused'
  | 'unknownReceiver'
  | 'outsideReceiver';

export interface Messages {
  /** The link back to an application: {address}. */
  readonly backTo: string;
  readonly problems: Readonly<Record<Problem, Notice>>;
  readonly signIn: {
    readonly title: string;
    /** Where the person goes after signing in: {address}. */
    readonly then: string;
    readonly login: string;
    readonly password: string;
    readonly submit: string;
    /** The one answer to every failed sign-in: it never says which of the two was wrong. */
    readonly wrong: string;
    readonly otherWays: string;
    readonly backToForm: string;
  };
  /** The relay's question before a switch to another user (docs/SECURITY.md, case F48): {current}, {next}, {address}. */
  readonly confirm: {
    readonly title: string;
    readonly current: string;
    readonly asks: string;
    readonly warning: string;
    readonly stay: string;
    readonly switch: string;
    readonly after: string;
  };
  readonly signedIn: { readonly title: string; readonly text: string; readonly continue: string };
  readonly failed: Readonly<Record<SignInFailedReason, Notice>>;
}

const EN: Messages = {
  backTo: 'Back to {address}',
  problems: {
    badQuery: {
      title: 'This link does not work',
      text: 'The sign-on link is incomplete or damaged. Go back to the application and try again.',
    },
    unregisteredUrl: {
      title: 'This link does not work',
      text: 'The sign-on link would send you on to an address that is not an application of this sign-on service, so it is not followed.',
    },
    unavailable: { title: 'Sign-on is unavailable', text: 'Sign-on is unavailable for a moment. Please try again shortly.' },
    badContentType: {
      title: 'This form cannot be read',
      text: 'What was sent is not a form of this page. Go back and try again.',
    },
    tooLarge: { title: 'This form is too large', text: 'The form sent is larger than this page accepts.' },
    badForm: { title: 'This form cannot be read', text: 'The form is not one that this sign-on service sent.' },
    badEncoding: { title: 'This form cannot be read', text: 'The form was not sent as UTF-8 text. Go back and try again.' },
    notAsked: {
      title: 'This question is no longer open',
      text: 'This question was not asked in this browser, or it is no longer open. Go back to the application and sign in again.',
    },
    formExpired: { title: 'The form has expired', text: 'The form expired, please try again.' },
    unknownIdentityProvider: {
      title: 'This link does not work',
      text: 'The sign-on link names an identity provider that this sign-on service does not know.',
    },
    samlRefused: {
      title: 'Sign-in did not succeed',
      text: 'The answer of your identity provider could not be accepted. Go back to the application and sign in again; if it happens again, tell your administrator.',
    },
    unknownReceiver: {
      title: 'This link does not work',
      text: 'The link asks for a sign-on ticket for a site that this sign-on service does not know.',
    },
    outsideReceiver: {
      title: 'This link does not work',
      text: 'The link would send a sign-on ticket on to an address outside the site it is for, so it is not followed.',
    },
  },
  signIn: {
    title: 'Sign in',
    then: 'You then continue to {address}.',
    login: 'Login',
    password: 'Password',
    submit: 'Sign in',
    wrong: 'The login or password is not right.',
    otherWays: 'Other ways to sign in',
    backToForm: 'Back to the sign-in form',
  },
  confirm: {
    title: 'Switch account?',
    current: 'This browser is signed in as {current}.',
    asks: 'A sign-in link now asks to sign it in as {next} instead.',
    warning:
      'If you did not just sign in as {next} yourself, stay signed in as {current}: a link sent by someone else can sign you in to their account, so that they see what you do there.',
    stay: 'Stay signed in as {current}',
    switch: 'Continue as {next}',
    after: 'Either way, you then go on to {address}',
  },
  signedIn: {
    title: 'You are signed in',
    text: 'You can now use the applications of this sign-on service without signing in again.',
    continue: 'Continue',
  },
  failed: {
    failed: { title: 'Sign-in did not succeed', text: 'The sign-in did not succeed. Go back to the application and try again.' },
    unavailable: { title: 'Sign-in is unavailable', text: 'Sign-in is unavailable for a moment. Please try again shortly.' },
    notAllowed: {
      title: 'Sign-in is not allowed',
      text: 'Your account may not sign in here. If you think it should, ask your administrator.',
    },
  },
};

const DE: Messages = {
  backTo: 'Zurück zu {address}',
  problems: {
    badQuery: {
      title: 'Dieser Link funktioniert nicht',
      text: 'Der Anmeldelink ist unvollständig oder beschädigt. Gehen Sie zurück zur Anwendung und versuchen Sie es erneut.',
    },
    unregisteredUrl: {
      title: 'Dieser Link funktioniert nicht',
      text: 'Der Anmeldelink würde Sie zu einer Adresse weiterleiten, die keine Anwendung dieses Anmeldedienstes ist. Deshalb wird er nicht befolgt.',
    },
    unavailable: {
      title: 'Anmeldung nicht verfügbar',
      text: 'Die Anmeldung ist gerade nicht verfügbar. Bitte versuchen Sie es in Kürze erneut.',
    },
    badContentType: {
      title: 'Dieses Formular kann nicht gelesen werden',
      text: 'Was gesendet wurde, ist kein Formular dieser Seite. Gehen Sie zurück und versuchen Sie es erneut.',
    },
    tooLarge: { title: 'Dieses Formular ist zu groß', text: 'Das gesendete Formular ist größer, als diese Seite annimmt.' },
    badForm: { title: 'Dieses Formular kann nicht gelesen werden', text: 'Dieses Formular stammt nicht von diesem Anmeldedienst.' },
    badEncoding: {
      title: 'Dieses Formular kann nicht gelesen werden',
      text: 'Das Formular wurde nicht als UTF-8-Text gesendet. Gehen Sie zurück und versuchen Sie es erneut.',
    },
    notAsked: {
      title: 'Diese Frage ist nicht mehr offen',
      text: 'Diese Frage wurde nicht in diesem Browser gestellt, oder sie ist nicht mehr offen. Gehen Sie zurück zur Anwendung und melden Sie sich erneut an.',
    },
    formExpired: { title: 'Das Formular ist abgelaufen', text: 'Das Formular ist abgelaufen. Bitte versuchen Sie es erneut.' },
    unknownIdentityProvider: {
      title: 'Dieser Link funktioniert nicht',
      text: 'Der Anmeldelink nennt einen Identitätsanbieter, den dieser Anmeldedienst nicht kennt.',
    },
    samlRefused: {
      title: 'Die Anmeldung ist nicht gelungen',
      text: 'Die Antwort Ihres Identitätsanbieters konnte nicht angenommen werden. Gehen Sie zurück zur Anwendung und melden Sie sich erneut an; geschieht es wieder, wenden Sie sich an Ihre Administration.',
    },
    unknownReceiver: {
      title: 'Dieser Link funktioniert nicht',
      text: 'Der Link verlangt ein Anmeldeticket für eine Website, die dieser Anmeldedienst nicht kennt.',
    },
    outsideReceiver: {
      title: 'Dieser Link funktioniert nicht',
      text: 'Der Link würde ein Anmeldeticket an eine Adresse außerhalb der Website weitergeben, für die es bestimmt ist; er wird deshalb nicht befolgt.',
    },
  },
  signIn: {
    title: 'Anmelden',
    then: 'Danach geht es weiter zu {address}.',
    login: 'Anmeldename',
    password: 'Passwort',
    submit: 'Anmelden',
    wrong: 'Anmeldename oder Passwort ist nicht richtig.',
    otherWays: 'Andere Arten der Anmeldung',
    backToForm: 'Zurück zum Anmeldeformular',
  },
  confirm: {
    title: 'Konto wechseln?',
    current: 'Dieser Browser ist als {current} angemeldet.',
    asks: 'Ein Anmeldelink möchte ihn jetzt stattdessen als {next} anmelden.',
    warning:
      'Wenn Sie sich nicht gerade selbst als {next} angemeldet haben, bleiben Sie als {current} angemeldet: Ein Link, den jemand anderes geschickt hat, kann Sie in dessen Konto anmelden, sodass diese Person sieht, was Sie dort tun.',
    stay: 'Als {current} angemeldet bleiben',
    switch: 'Weiter als {next}',
    after: 'In beiden Fällen geht es danach weiter zu {address}',
  },
  signedIn: {
    title: 'Sie sind angemeldet',
    text: 'Sie können die Anwendungen dieses Anmeldedienstes jetzt ohne erneute Anmeldung nutzen.',
    continue: 'Weiter',
  },
  failed: {
    failed: {
      title: 'Anmeldung fehlgeschlagen',
      text: 'Die Anmeldung ist nicht gelungen. Gehen Sie zurück zur Anwendung und versuchen Sie es erneut.',
    },
    unavailable: {
      title: 'Anmeldung nicht verfügbar',
      text: 'Die Anmeldung ist gerade nicht verfügbar. Bitte versuchen Sie es in Kürze erneut.',
    },
    notAllowed: {
      title: 'Anmeldung nicht erlaubt',
      text: 'Ihr Konto darf sich hier nicht anmelden. Wenn Sie meinen, dass es das dürfen sollte, wenden Sie sich an Ihre Administration.',
    },
  },
};

// French sets a narrow no-break space (U+202F) before ? : ; and !.
const FR: Messages = {
  backTo: 'Retour à {address}',
  problems: {
    badQuery: {
      title: 'Ce lien ne fonctionne pas',
      text: 'Le lien de connexion est incomplet ou abîmé. Revenez à l’application et réessayez.',
    },
    unregisteredUrl: {
      title: 'Ce lien ne fonctionne pas',
      text: 'Le lien de connexion vous enverrait vers une adresse qui n’est pas une application de ce service de connexion\u202f; il n’est donc pas suivi.',
    },
    unavailable: {
      title: 'Connexion indisponible',
      text: 'La connexion est momentanément indisponible. Veuillez réessayer dans un instant.',
    },
    badContentType: {
      title: 'Ce formulaire est illisible',
      text: 'Ce qui a été envoyé n’est pas un formulaire de cette page. Revenez en arrière et réessayez.',
    },
    tooLarge: { title: 'Ce formulaire est trop volumineux', text: 'Le formulaire envoyé dépasse la taille acceptée par cette page.' },
    badForm: { title: 'Ce formulaire est illisible', text: 'Ce formulaire n’a pas été envoyé par ce service de connexion.' },
    badEncoding: {
      title: 'Ce formulaire est illisible',
      text: 'Le formulaire n’a pas été envoyé en texte UTF-8. Revenez en arrière et réessayez.',
    },
    notAsked: {
      title: 'Cette question n’est plus ouverte',
      text: 'Cette question n’a pas été posée dans ce navigateur, ou elle n’est plus ouverte. Revenez à l’application et connectez-vous à nouveau.',
    },
    formExpired: { title: 'Le formulaire a expiré', text: 'Le formulaire a expiré, veuillez réessayer.' },
    unknownIdentityProvider: {
      title: 'Ce lien ne fonctionne pas',
      text: "Le lien de connexion nomme un fournisseur d'identité que ce service de connexion ne connaît pas.",
    },
    samlRefused: {
      title: "La connexion n'a pas abouti",
      text: "La réponse de votre fournisseur d'identité n'a pas pu être acceptée. Revenez à l'application et connectez-vous à nouveau ; si cela se reproduit, prévenez votre administrateur.",
    },
    unknownReceiver: {
      title: 'Ce lien ne fonctionne pas',
      text: 'Le lien demande un ticket de connexion pour un site que ce service de connexion ne connaît pas.',
    },
    outsideReceiver: {
      title: 'Ce lien ne fonctionne pas',
      text: "Le lien transmettrait un ticket de connexion à une adresse en dehors du site auquel il est destiné ; il n'est donc pas suivi.",
    },
  },
  signIn: {
    title: 'Connexion',
    then: 'Vous continuerez ensuite vers {address}.',
    login: 'Identifiant',
    password: 'Mot de passe',
    submit: 'Se connecter',
    wrong: 'L’identifiant ou le mot de passe n’est pas correct.',
    otherWays: 'Autres moyens de se connecter',
    backToForm: 'Retour au formulaire de connexion',
  },
  confirm: {
    title: 'Changer de compte\u202f?',
    current: 'Ce navigateur est connecté en tant que {current}.',
    asks: 'Un lien de connexion demande maintenant de le connecter plutôt en tant que {next}.',
    warning:
      'Si vous ne venez pas de vous connecter vous-même en tant que {next}, restez connecté en tant que {current}\u202f: un lien envoyé par quelqu’un d’autre peut vous connecter à son compte, et cette personne voit alors ce que vous y faites.',
    stay: 'Rester connecté en tant que {current}',
    switch: 'Continuer en tant que {next}',
    after: 'Dans les deux cas, vous continuez ensuite vers {address}',
  },
  signedIn: {
    title: 'Vous êtes connecté',
    text: 'Vous pouvez maintenant utiliser les applications de ce service de connexion sans vous reconnecter.',
    continue: 'Continuer',
  },
  failed: {
    failed: { title: 'La connexion a échoué', text: 'La connexion n’a pas abouti. Revenez à l’application et réessayez.' },
    unavailable: {
      title: 'Connexion indisponible',
      text: 'La connexion est momentanément indisponible. Veuillez réessayer dans un instant.',
    },
    notAllowed: {
      title: 'Connexion non autorisée',
      text: 'Votre compte n’est pas autorisé à se connecter ici. Si vous pensez qu’il devrait l’être, adressez-vous à votre administrateur.',
    },
  },
};

const TABLES: Readonly<Record<Language, Messages>> = { en: EN, de: DE, fr: FR };

export function messagesFor(language: Language): Messages {
  return TABLES[language];
}
