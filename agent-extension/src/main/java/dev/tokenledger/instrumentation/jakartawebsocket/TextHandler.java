package dev.tokenledger.instrumentation.jakartawebsocket;

import jakarta.websocket.MessageHandler;

/** A TokenLedger wrapper around an application's text handler. */
interface TextHandler {
  MessageHandler delegate();
}
