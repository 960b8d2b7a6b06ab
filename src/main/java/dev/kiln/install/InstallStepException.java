package dev.kiln.install;

/** A failed install step; the job's error reads "step: message". */
class InstallStepException extends Exception {
    InstallStepException(String message) {
        super(message);
    }
}
